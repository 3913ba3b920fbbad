"""Stage 2: turn review text into sparse binary bag-of-n-grams features.

The vocabulary (the `max_features` most frequent n-grams) is learned on the
training split only and saved alongside the features.
"""
import argparse
import csv
import json
import re
from collections import Counter
from pathlib import Path

IN_DIR = Path("data/prepared")
OUT_DIR = Path("data/features")


def ngrams(text, n):
    """Return the set of 1..n-grams of a lower-cased, tokenized text."""
    tokens = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(tokens[i:i + k]) for k in range(1, n + 1)
            for i in range(len(tokens) - k + 1)}


def load(path):
    """Read (text, label) pairs from a prepared CSV."""
    with path.open(newline="") as f:
        return [(row["text"], int(row["label"])) for row in csv.DictReader(f)]


def encode(rows, index, n):
    """Encode rows as {"X": [sorted feature ids], "y": [labels]}."""
    X = [sorted(index[g] for g in ngrams(text, n) if g in index) for text, _ in rows]
    return {"X": X, "y": [label for _, label in rows]}


def main():
    """Build the vocabulary on train and encode both splits."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-features", type=int, default=200)
    parser.add_argument("--ngrams", type=int, default=2)
    args = parser.parse_args()

    train, test = load(IN_DIR / "train.csv"), load(IN_DIR / "test.csv")
    counts = Counter(g for text, _ in train for g in ngrams(text, args.ngrams))
    # Sort by frequency, then alphabetically, so ties are deterministic.
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    vocab = [g for g, _ in ranked[:args.max_features]]
    index = {g: i for i, g in enumerate(vocab)}

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    files = {"vocab.json": {"ngrams": args.ngrams, "vocab": vocab},
             "train.json": encode(train, index, args.ngrams),
             "test.json": encode(test, index, args.ngrams)}
    for name, obj in files.items():
        (OUT_DIR / name).write_text(json.dumps(obj) + "\n")
    print(f"vocab size={len(vocab)}")


if __name__ == "__main__":
    main()
