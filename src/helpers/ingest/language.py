"""Which language a text is in: English, Chinese (simplified or traditional), or another.

Deliberately simple and transparent, because only two languages are coded: Chinese is told by
its script (Han characters, with no kana or hangul beside them), English among texts in Latin
letters by the share of its commonest function words, which a handful of other languages'
function words are compared with, so that a refusal can say which language the text looks
like. A text too short to tell is ``unsure``: the caller decides (the add command proposes
English and marks the field for review; ingest accepts the manifest's word).

Every pattern here is a character class or a plain run of letters: linear time.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")

# Common characters written one way in traditional and another in simplified Chinese, in pairs
_PAIRS = (
    "們们 個个 來来 時时 國国 經经 區区 開开 發发 與与 體体 產产 業业 這这 為为 學学 會会 對对 "
    "說说 點点 過过 還还 後后 從从 當当 實实 現现 機机 電电 網网 於于 務务 動动 質质 進进 "
    "設设 計计 數数 據据 創创 新新 務务 歲岁 環环 節节 級级 維维 腦脑 介介 導导 億亿 萬万"
).split()
_TRADITIONAL = {pair[0] for pair in _PAIRS if pair[0] != pair[1]}
_SIMPLIFIED = {pair[1] for pair in _PAIRS if pair[0] != pair[1]}

FUNCTION_WORDS = {
    "en": "the of and to in a is that for on with as by will its are was from at be has have it "
    "this which an or their not",
    "it": "il la di che e per un una del della dei delle le gli con non si sono è nel alla al da",
    "fr": "le la les de des du et est une un pour que qui dans sur au aux par avec sont ce",
    "de": "der die das und ist zu den mit von nicht sich des auf für ein eine im dem auch",
    "es": "el la los las de del y que en un una por para con se es al lo como más",
    "pt": "o a os as de do da dos das e que em um uma para com não no na se por",
    "nl": "de het een en van in is dat op te voor met zijn niet aan er ook",
}
_WORDS = {lang: set(words.split()) for lang, words in FUNCTION_WORDS.items()}
NAMES = {
    "en": "English",
    "zh": "Chinese",
    "it": "Italian",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "a language in Cyrillic script",
    "ar": "a language in Arabic script",
}
_MIN_WORDS = 20  # fewer Latin words than this: too short to tell English from another language
_ENGLISH_SHARE = 0.15  # English news prose runs at 0.3-0.45; Italian, French, German below 0.1


@dataclass(frozen=True)
class Detected:
    """``language``: en, zh, another code (it, fr, ja, ...), or ``unsure``; ``script`` for
    Chinese: ``simplified`` or ``traditional``."""

    language: str
    script: str | None = None

    @property
    def name(self) -> str:
        base = NAMES.get(self.language, self.language)
        return f"{base} ({self.script} characters)" if self.script else base


def detect(text: str, sample: int = 20_000) -> Detected:
    """The language of ``text`` (its first ``sample`` characters are enough)."""
    head = text[:sample]
    han = len(_HAN.findall(head))
    kana = len(_KANA.findall(head))
    hangul = len(_HANGUL.findall(head))
    words = [w.lower() for w in _LATIN_WORD.findall(head)]
    letters = han + kana + hangul + sum(map(len, words))
    others = {"ru": len(_CYRILLIC.findall(head)), "ar": len(_ARABIC.findall(head))}
    if letters + sum(others.values()) == 0:
        return Detected("unsure")
    if kana > 0.05 * (han + kana):
        return Detected("ja") if kana + han > 0.3 * letters else Detected("unsure")
    if hangul > han:
        return Detected("ko") if hangul > 0.3 * letters else Detected("unsure")
    if han > 0.3 * letters:  # Chinese text quotes Latin names and figures
        chars = Counter(ch for ch in head if ch in _TRADITIONAL or ch in _SIMPLIFIED)
        trad = sum(n for ch, n in chars.items() if ch in _TRADITIONAL)
        simp = sum(n for ch, n in chars.items() if ch in _SIMPLIFIED)
        return Detected("zh", "traditional" if trad > simp else "simplified")
    script, count = max(others.items(), key=lambda kv: kv[1])
    if count > letters:
        return Detected(script)
    if len(words) < _MIN_WORDS:
        return Detected("unsure")
    shares = {lang: sum(w in ws for w in words) / len(words) for lang, ws in _WORDS.items()}
    if shares["en"] >= _ENGLISH_SHARE and shares["en"] >= max(shares.values()):
        return Detected("en")
    best = max(shares, key=shares.get)
    return Detected(best if best != "en" else "unsure")
