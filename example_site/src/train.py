"""Stage 3: train a logistic-regression classifier with plain SGD.

Features are sparse binary vectors (lists of active feature ids), so each
update only touches the active weights; L2 decay is applied lazily to them.
"""
import argparse
import json
import math
import random
from pathlib import Path

FEATURES = Path("data/features")
MODEL = Path("models/model.json")


def sigmoid(z):
    """Numerically safe logistic function."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def main():
    """Fit the model and save it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--l2", type=float, default=0.001)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    vocab = json.loads((FEATURES / "vocab.json").read_text())
    data = json.loads((FEATURES / "train.json").read_text())
    samples = list(zip(data["X"], data["y"]))
    weights, bias = [0.0] * len(vocab["vocab"]), 0.0
    rng = random.Random(args.seed)

    for _ in range(args.epochs):
        rng.shuffle(samples)
        for x, y in samples:
            grad = sigmoid(bias + sum(weights[j] for j in x)) - y
            bias -= args.lr * grad
            for j in x:
                weights[j] -= args.lr * (grad + args.l2 * weights[j])

    MODEL.parent.mkdir(parents=True, exist_ok=True)
    model = {"type": "logistic_regression", "ngrams": vocab["ngrams"],
             "vocab": vocab["vocab"], "bias": round(bias, 6),
             "weights": [round(w, 6) for w in weights]}
    MODEL.write_text(json.dumps(model, indent=1) + "\n")
    print(f"trained on {len(samples)} samples, {len(weights)} features")


if __name__ == "__main__":
    main()
