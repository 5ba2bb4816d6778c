#!/usr/bin/env python3
"""Writes an N-question Markdown document in the layout of examples/mlops-interview-questions.md.

`### **Section**` headings, `N.  **Question?**` items, `-   **Answer:** ...` bullets nested in the
item or after it, some nested sub-bullets, bold terms, inline code and links, and the odd
`----------` rule. Words come from a seeded vocabulary of a few thousand pseudo-words drawn with a
Zipf-like law (as in real prose), tuned so the rendered fields deflate about as well as the seed's
(measured on the fields at deflate level 1: the seed 2.8x, these 2.5x), so file sizes are not flattered by unrealistically repetitive text.

With `--ankdown OUT2.md` it also writes the same cards in ankdown's syntax (front, `%`, back,
`%`, tags, `---` between cards), the questions and answers as the same Markdown, for
`benches/bench.py` to time ankdown 0.7.1 on.

Usage: gen.py N OUT.md [SEED] [--ankdown OUT2.md]
"""

import bisect
import itertools
import random
import sys

VOCABULARY = 3000
EXPONENT = 1.2
ONSETS = ["", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
          "br", "cr", "dr", "st", "tr", "pl", "gr", "ch", "sh", "th", "sp"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
CODAS = ["", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck", "x"]


def vocabulary(rng):
    words = set()
    while len(words) < VOCABULARY:
        syllables = rng.choice([1, 2, 2, 2, 3, 3, 4])
        words.add("".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
                          for _ in range(syllables)))
    words = sorted(words)
    rng.shuffle(words)
    # As in real prose, the most frequent words are the shortest.
    words.sort(key=len)
    return words


class Text:
    def __init__(self, rng):
        self.rng = rng
        self.words = vocabulary(rng)
        # Zipf: word k has weight 1/k^EXPONENT.
        self.cumulative = list(itertools.accumulate((k + 1) ** -EXPONENT for k in range(VOCABULARY)))

    def word(self):
        r = self.rng.random() * self.cumulative[-1]
        return self.words[bisect.bisect_left(self.cumulative, r)]

    def phrase(self, low, high):
        return " ".join(self.word() for _ in range(self.rng.randint(low, high)))

    def sentence(self, low=8, high=22):
        words = [self.word() for _ in range(self.rng.randint(low, high))]
        rng = self.rng
        for i in range(len(words)):
            roll = rng.random()
            if roll < 0.03:
                words[i] = f"**{words[i]}**"
            elif roll < 0.045:
                words[i] = f"`{words[i]}_{rng.randint(0, 99)}`"
            elif roll < 0.05:
                words[i] = f"[{words[i]}](https://{self.word()}.example.org/{self.word()})"
            elif roll < 0.09 and i < len(words) - 1:
                words[i] += ","
        words[0] = words[0][0].upper() + words[0][1:]
        return " ".join(words) + "."

    def question(self):
        starts = ["What is", "How does", "Why is", "When should you use", "What are the",
                  "How do you handle", "Which", "What is the difference between"]
        return f"{self.rng.choice(starts)} {self.phrase(3, 9)}?"


def document(n, seed, cards=None):
    """Yields the document's text; appends (question, answer Markdown, section) to `cards`."""
    rng = random.Random(seed)
    text = Text(rng)
    yield f"---\ntitle: Generated deck of {n} questions\ndeck_id: bench-{n}\n---\n"
    yield f"Here is a list of **{n} questions** generated for the benchmark. {text.sentence()}\n\n"
    number = 0
    asked = set()
    while number < n:
        title = text.phrase(2, 5).title()
        yield f"### **{title}**\n\n"
        for _ in range(min(rng.randint(3, 25), n - number)):
            number += 1
            nested = rng.random() < 0.5
            marker = f"{number}.  "
            # Nested answers line up with the question's text, as CommonMark requires.
            indent = " " * len(marker) if nested else ""
            # Every question is distinct, as in a real deck (duplicates only add warnings).
            question = text.question()
            while question in asked:
                question = text.question()
            asked.add(question)
            yield f"{marker}**{question}**\n"
            yield "    \n" if nested else "\n"
            answer = " ".join(text.sentence() for _ in range(rng.randint(1, 4)))
            roll = rng.random()
            # The answer as deckforge reads it (label dropped), for the ankdown copy.
            lines = []
            if roll < 0.15:
                lines.append(text.sentence(4, 10))
                for _ in range(rng.randint(2, 4)):
                    lines.append(f"-   **{text.word().title()}:** {text.sentence(5, 14)}")
                yield f"{indent}-   **Answer:** {lines[0]}\n"
                for line in lines[1:]:
                    yield f"{indent}    {line}\n"
            elif roll < 0.22:
                lines.append(text.sentence(4, 10))
                for _ in range(rng.randint(2, 3)):
                    lines.append(f"-   {text.sentence(5, 14)}")
                yield f"{indent}-   **Answer:** {lines[0]}\n"
                for line in lines[1:]:
                    yield f"{indent}{line}\n"
            else:
                lines.append(answer)
                yield f"{indent}-   **Answer:** {answer}\n"
            yield "\n"
            if cards is not None:
                cards.append((question, "\n\n".join(lines[:1]) + "".join(
                    ("\n\n" if i == 1 else "\n") + line for i, line in enumerate(lines[1:], 1)),
                    title))
        if rng.random() < 0.1:
            yield "----------\n\n"


def ankdown(cards):
    """The cards in ankdown's syntax; tags name the section, as deckforge's section tag does."""
    for question, answer, section in cards:
        tag = "_".join(section.lower().split())
        yield f"{question}\n\n%\n\n{answer}\n\n%\n\n{tag}\n\n---\n\n"


def main():
    args = sys.argv[1:]
    ankdown_out = None
    if "--ankdown" in args:
        at = args.index("--ankdown")
        ankdown_out = args[at + 1]
        del args[at:at + 2]
    n = int(args[0])
    out = args[1]
    seed = int(args[2]) if len(args) > 2 else 7
    cards = [] if ankdown_out else None
    with open(out, "w", encoding="utf-8") as f:
        f.writelines(document(n, seed, cards))
    if ankdown_out:
        with open(ankdown_out, "w", encoding="utf-8") as f:
            f.writelines(ankdown(cards))


if __name__ == "__main__":
    main()
