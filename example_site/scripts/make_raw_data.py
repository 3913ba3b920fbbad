"""Generate the raw dataset: short labelled product reviews (stdlib only, seeded).

    python scripts/make_raw_data.py [--seed 2024] [--rows 300]

writes data/raw/reviews.csv with columns id,text,label (1 = positive); the same seed and
rows give the same bytes. The data in data/raw/reviews.csv.dvc is the default sample;
replay.py draws the project's first, smaller sample with another seed.
"""
import argparse
import csv
import random
from pathlib import Path

SEED = 2024
N_ROWS = 300
LABEL_NOISE = 0.05  # fraction of labels flipped, so the task is not trivial

POSITIVE = ["great", "excellent", "love", "perfect", "amazing", "happy",
            "fast", "reliable", "recommend", "solid", "beautiful", "works"]
NEGATIVE = ["terrible", "awful", "broken", "hate", "slow", "poor",
            "disappointed", "refund", "cheap", "useless", "noisy", "late"]
NEUTRAL = ["the", "product", "it", "was", "this", "item", "delivery",
           "quality", "price", "box", "battery", "screen", "very", "really",
           "and", "but", "a", "bit", "after", "week"]


def make_review(rng, positive):
    """Return one short review mixing sentiment and neutral words."""
    main, other = (POSITIVE, NEGATIVE) if positive else (NEGATIVE, POSITIVE)
    words = rng.sample(main, rng.randint(1, 3)) + rng.sample(NEUTRAL, rng.randint(3, 6))
    if rng.random() < 0.3:  # a contrary word now and then
        words.append(rng.choice(other))
    rng.shuffle(words)
    return " ".join(words)


def main(out_path="data/raw/reviews.csv"):
    """Write the dataset to out_path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rows", type=int, default=N_ROWS)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "text", "label"])
        for i in range(args.rows):
            label = i % 2
            text = make_review(rng, positive=bool(label))
            if rng.random() < LABEL_NOISE:
                label = 1 - label
            writer.writerow([i, text, label])
    print(f"wrote {args.rows} rows to {out}")


if __name__ == "__main__":
    main()
