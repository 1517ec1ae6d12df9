"""A retelling's comparative framing claims against its reference's own framing (CODING.md
§7-8), by dimension."""

from __future__ import annotations

import pandas as pd

from helpers.compare.rows import make_row


def framing_rows(article, claims: list[dict], refs: list[dict], framing_codebook) -> list[dict]:
    """The retelling's comparative claims against the reference's own framing, by dimension
    (CODING.md §7-8): a claim agrees when a fact frames its dimension the same way (who is
    ahead) against the rivals the claim names; it changes the framing when the reference frames
    the dimension otherwise; a claim on a dimension the reference does not frame is the
    retelling's alone, and a framing of the reference no claim takes up is dropped."""
    by_dimension: dict[str, list[dict]] = {}
    for r in refs:
        dim = r.get("framing_dimension")
        if dim and not pd.isna(dim) and r not in by_dimension.get(dim, []):
            if r["fact_id"] not in {f["fact_id"] for f in by_dimension.get(dim, [])}:
                by_dimension.setdefault(dim, []).append(r)
    rows, claimed = [], set()
    for claim in (c for c in claims if c["comparative"]):
        dim, facts = claim["dimension"], by_dimension.get(claim["dimension"], [])
        claimed.add(dim)
        said = _claim_phrase(claim, framing_codebook)
        if not facts:
            note = f"{said}; the reference does not frame this dimension"
            rows.append(
                make_row("framing_only_in_article", None, note, claim=claim, article=article)
            )
            continue
        rivals = set(str(claim["comparators"]).split(";"))
        same = [
            f
            for f in facts
            if f["framing_direction"] == claim["direction"]
            and rivals <= set(str(f["framing_comparators"] or "").split(";"))
        ]
        cls = "framing_agrees" if same else "framing_changed"
        ref = (same or facts)[0]
        held = "; ".join(f"{f['fact_id']}: {_fact_phrase(f, framing_codebook)}" for f in facts)
        note = f"{said}; the reference: {held}"
        rows.append(make_row(cls, None, note, claim=claim, ref=ref, article=article))
    for dim in sorted(set(by_dimension) - claimed):
        for fact in by_dimension[dim]:
            note = f"{_fact_phrase(fact, framing_codebook)}; the retelling makes no claim on it"
            rows.append(
                make_row("framing_only_in_reference", None, note, ref=fact, article=article)
            )
    return rows


def _standing(actor: str, direction: str, rivals: list[str]) -> str:
    """Who is ahead, in words: "China ahead of Europe", "China against others, no one clearly
    ahead"."""
    against = ", ".join(rivals) or "others"
    if direction == "unclear":
        return f"{actor} against {against}, no one clearly ahead"
    return f"{actor} {'ahead of' if direction == 'actor_ahead' else 'behind'} {against}"


def _claim_phrase(claim, framing_codebook) -> str:
    """A claim as a note reads it: "technology gap: China ahead of United States, Europe"."""
    rivals = [framing_codebook.actor_label(a) for a in str(claim["comparators"]).split(";") if a]
    actor = framing_codebook.actor_label(claim["actor"])
    return (
        f"{framing_codebook.dimension_label(claim['dimension'])}: "
        f"{_standing(actor, claim['direction'], rivals)}"
    )


def _fact_phrase(fact, framing_codebook) -> str:
    """A reference framing as a note reads it (its rivals, or "others" where it names none)."""
    named = str(fact["framing_comparators"] or "")
    rivals = [framing_codebook.actor_label(a) for a in named.split(";") if a]
    actor = framing_codebook.actor_label(framing_codebook.focal_actor)
    return (
        f"{framing_codebook.dimension_label(fact['framing_dimension'])}: "
        f"{_standing(actor, fact['framing_direction'], rivals)}"
    )
