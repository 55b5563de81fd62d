"""Chinese and Japanese commands, which are written without spaces between words.

"解释一下第四个" (explain the fourth), "2番を説明して" (explain number 2), "打开第4个" (open the
4th): the command words and the ordinals are read as the words the examples use ("explain 4"),
and the particles around them are dropped, so one set of examples serves every language.
Text in these scripts that is not a command keeps its characters and stays a search.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

# Longest first, so "切换仓库" is read before "切换".
COMMAND_WORDS: dict[str, str] = {
    "切换仓库": "switch repo", "切換倉庫": "switch repo", "换仓库": "switch repo",
    "リポジトリを切り替え": "switch repo", "リポジトリ切り替え": "switch repo",
    "下一页": "more", "下一頁": "more", "更多": "more", "もっと見る": "more", "次のページ": "more",
    "もっと見せて": "show more", "もっと": "more", "全部显示": "show all matches",
    "显示全部": "show all matches", "全部見せて": "show all matches",
    "すべて表示": "show all matches",
    "解释": "explain", "解釋": "explain", "说明": "explain", "説明": "explain",
    "是干什么的": "what does it do", "是做什么的": "what does it do",
    "何をしていますか": "what does it do", "何してるの": "what does it do",
    "打开": "open", "打開": "open", "開いて": "open", "開く": "open",
    "看看": "show", "看一下": "show", "显示": "show", "顯示": "show", "見せて": "show",
    "表示して": "show", "给我看": "show",
    "谢谢": "thanks", "謝謝": "thanks", "多谢": "thanks", "ありがとうございます": "thanks",
    "ありがとう": "thanks", "どうも": "thanks",
    "你好": "hi", "您好": "hi", "こんにちは": "hi", "おはよう": "good morning",
    "再见": "bye", "再見": "bye", "拜拜": "bye", "さようなら": "bye", "またね": "bye",
    "帮助": "help", "幫助": "help", "帮忙": "help", "ヘルプ": "help", "助けて": "help",
    "菜单": "menu", "菜單": "menu", "主菜单": "menu", "メニュー": "menu",
    "返回": "back", "戻る": "back", "戻って": "back",
    "重新开始": "start over", "最初から": "start over",
    "取消": "cancel", "キャンセル": "cancel", "算了": "never mind",
    "好的": "ok", "明白了": "got it", "了解": "got it", "分かった": "got it", "わかった": "got it",
    "这是什么": "what is this", "これは何": "what is this", "これ何": "what is this",
    "这段代码": "this code", "这个": "this", "これ": "this",
    "最後の": "the last", "最後": "the last", "最后一个": "the last one", "最后": "the last",
}  # fmt: skip
_LONGEST_FIRST = sorted(COMMAND_WORDS, key=len, reverse=True)
_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_NUMERAL = r"(?:\d{1,4}|[一二三四五六七八九十]{1,3})"
# 第四个 / 第4個 / 4番 / 4番目 / 四つ目: an ordinal; the numeral is read as digits.
_ORDINAL = rf"第({_NUMERAL})(?:个|個|条|條|项|項|番目|番)?|({_NUMERAL})(?:番目|番|つ目|个|個)"
# Particles and politeness around a command: "一下" (a bit), "请" (please), "を", "して"...
_PARTICLES = r"一下|请|請|吧|呢|吗|嗎|的|给我|给|を|は|の|して|ください|下さい|て|。|、|？|！"
_UNSPACED = r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]"
# Where Latin letters or digits meet Chinese, Japanese or Korean ("aiohttpに変えて", "4번"): a
# word ends there.
_SCRIPT_EDGE = (
    r"(?<=[A-Za-z0-9])(?=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af])"
    r"|(?<=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af])(?=[A-Za-z0-9])"
)


class _Patterns(NamedTuple):
    ordinal: re.Pattern[str]
    particles: re.Pattern[str]
    unspaced: re.Pattern[str]
    script_edge: re.Pattern[str]


@functools.cache
def _patterns() -> _Patterns:
    """Compiled when the first message in another script comes (their wide character classes
    take milliseconds to compile, and most chats never need them)."""
    return _Patterns(*(re.compile(p) for p in (_ORDINAL, _PARTICLES, _UNSPACED, _SCRIPT_EDGE)))


def numeral(text: str) -> int:
    """ "4" -> 4, "四" -> 4, "十二" -> 12, "二十" -> 20."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return int("".join(str(_DIGITS[c]) for c in text))
    tens, _, units = text.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)


def spaced(text: str) -> str:
    """``text`` with its Chinese or Japanese command words and ordinals as spaced words;
    text without those scripts is returned unchanged."""
    if text.isascii():
        return text
    found = _patterns()
    if not found.unspaced.search(text):
        return found.script_edge.sub(" ", text)  # Korean: "4번", "aiohttp로"
    text = found.ordinal.sub(lambda m: f" {numeral(m.group(1) or m.group(2))} ", text)
    for phrase in _LONGEST_FIRST:
        if phrase in text:
            text = text.replace(phrase, f" {COMMAND_WORDS[phrase]} ")
    text = found.script_edge.sub(" ", text)
    if not found.unspaced.search(found.particles.sub("", text)):
        text = found.particles.sub(" ", text)  # only command words were left: drop them
    return text


SENTENCE_CHARS = 8  # "模板继承是怎么实现的": as long as a few words written with spaces


def reads_as_sentence(text: str) -> bool:
    """Chinese or Japanese text as long as a few words are: a sentence, though it has no
    spaces to count words by."""
    if text.isascii():
        return False
    return len(_patterns().unspaced.findall(text)) >= SENTENCE_CHARS
