"""Comment keywords: split survey comments into Chinese and English words and count them.

Chinese has no spaces, so it needs a word segmenter. jieba (offline dictionary, pure Python)
gives real words ("物流", "客服", "包装"); if it is not installed, Chinese runs fall back to
overlapping character bigrams, which still surface the frequent two-character words of short
feedback comments, only with some noise ("流太" next to "物流"). English: lowercase words minus
a small stopword list.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable

import pandas as pd

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_EN_WORD = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")

# Function words and fillers that say nothing about what a customer liked or disliked.
ZH_STOPWORDS = frozenset(
    """
    我们 你们 他们 她们 它们 自己 这个 那个 这些 那些 这样 那样 这里 那里 什么 怎么 为什么 如何
    一个 一些 一下 一点 一直 一次 一样 一般 就是 还是 但是 可是 不过 而且 并且 因为 所以 如果 虽然
    然后 还有 已经 可以 能够 应该 需要 觉得 感觉 认为 比较 非常 特别 真的 确实 有点 有些 没有 不是
    不会 不能 是否 以及 或者 而是 只是 还要 之后 之前 时候 现在 今天 昨天 每次 这次 上次 下次 这么
    那么 多少 东西 问题 情况 方面 希望 建议 其他 其实 继续 总是 终于 可能 的话 起来 出来 下去 一定
    """.split()
)

EN_STOPWORDS = frozenset(
    """
    a an the and or but if then so than too very just also not no nor only own same such
    i me my we our you your he him his she her it its they them their this that these those
    am is are was were be been being have has had do does did doing will would shall should
    can could may might must of at by for with about against between into through during
    before after above below to from up down in out on off over under again further once
    here there when where why how all any both each few more most other some what which who
    whom there's it's i'm i've don't didn't doesn't isn't wasn't aren't won't can't couldn't
    get got really much many lot lots still even one two as because while until again ever
    """.split()
)


def _jieba_cut() -> Callable[[str], Iterable[str]] | None:
    """jieba's ``lcut`` if jieba is installed, else None (bigram fallback)."""
    try:
        import jieba
    except ImportError:
        return None
    jieba.setLogLevel(logging.WARNING)
    return jieba.lcut


def _bigrams(run: str) -> list[str]:
    if len(run) < 2:
        return []
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(comment: str, cut: Callable[[str], Iterable[str]] | None) -> set[tuple[str, str]]:
    """The distinct (word, lang) pairs of one comment; a word counts once per comment."""
    out: set[tuple[str, str]] = set()
    for run in _CJK_RUN.findall(comment):
        words = cut(run) if cut is not None else _bigrams(run)
        for word in words:
            if len(word) >= 2 and word not in ZH_STOPWORDS and _CJK_RUN.fullmatch(word):
                out.add((word, "zh"))
    for word in _EN_WORD.findall(comment.lower()):
        word = word.strip("'")
        if len(word) >= 3 and word not in EN_STOPWORDS:
            out.add((word, "en"))
    return out


def count_keywords(comments: pd.DataFrame, top: int = 30) -> pd.DataFrame:
    """Top words by the number of comments containing them.

    ``comments`` has columns ``comment`` and ``negative`` (bool: the comment came with a
    complaint, an NPS detractor score or a CSAT of 1–2). Returns keyword, lang, comments,
    share (% of the comments looked at) and negative_share (% of those comments that are
    negative), most frequent first; ties broken alphabetically so the order is stable.
    """
    columns = ["keyword", "lang", "comments", "share", "negative_share"]
    if comments.empty:
        return pd.DataFrame(columns=columns)
    cut = _jieba_cut()
    seen: Counter[tuple[str, str]] = Counter()
    negative: Counter[tuple[str, str]] = Counter()
    # Feedback repeats itself ("好评", "物流很快"): segment each distinct comment once.
    repeats = comments.groupby(["comment", "negative"], sort=False).size()
    for (text, is_negative), n in repeats.items():
        for word in tokens(str(text), cut):
            seen[word] += n
            if is_negative:
                negative[word] += n
    total = len(comments)
    ranked = sorted(seen.items(), key=lambda kv: (-kv[1], kv[0][0]))[:top]
    rows = [
        (word, lang, n, 100.0 * n / total, 100.0 * negative[(word, lang)] / n)
        for (word, lang), n in ranked
    ]
    return pd.DataFrame(rows, columns=columns)
