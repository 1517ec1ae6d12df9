"""Traditional Chinese read as simplified for matching, offsets unchanged (CODING.md §6).

The codebook and the cues are written in simplified characters. A sentence that holds
traditional characters is matched in a simplified copy made with OpenCC's Taiwan-phrase
conversion (``tw2sp``: 積體電路 -> 集成电路, 人工智慧 -> 人工智能, 晶片 -> 芯片), so its terms
and cues are found; the copy keeps the length of the text as written, so every offset, span
and evidence refers to the text as written. A conversion that would change the length (a
phrase replaced by a longer or shorter one) falls back to character by character. Text with
no traditional character is returned as it is.
"""

from __future__ import annotations

from functools import cache

import opencc


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def for_matching(text: str) -> str:
    """``text`` with traditional characters made simplified, of the same length."""
    if not text or _converter("t2s").convert(text) == text:
        return text
    phrases = _converter("tw2sp").convert(text)
    if len(phrases) == len(text):
        return phrases
    chars = _converter("t2s")
    converted = "".join(c if len(c := chars.convert(ch)) == 1 else ch for ch in text)
    return converted
