"""Stage 4: score the model on both splits; write metrics.json and a plot file."""
import argparse
import csv
import json
import math
from pathlib import Path

FEATURES = Path("data/features")
MODEL = Path("models/model.json")
METRICS = Path("metrics.json")
PREDICTIONS = Path("eval/predictions.csv")


def predict(model, X, threshold):
    """Return 0/1 predictions: 1 when P(positive) >= threshold."""
    w, b = model["weights"], model["bias"]
    cut = math.log(threshold / (1.0 - threshold))  # threshold as a logit
    return [int(b + sum(w[j] for j in x) >= cut) for x in X]


def scores(y_true, y_pred):
    """Compute accuracy, precision, recall, f1 and the confusion counts."""
    pairs = list(zip(y_true, y_pred))
    tp = sum(t == 1 and p == 1 for t, p in pairs)
    fp = sum(t == 0 and p == 1 for t, p in pairs)
    fn = sum(t == 1 and p == 0 for t, p in pairs)
    tn = len(pairs) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": (tp + tn) / len(pairs), "precision": precision,
            "recall": recall, "f1": f1,
            "confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn}}


def main():
    """Score both splits and write metrics and predictions."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()

    model = json.loads(MODEL.read_text())
    results = {}
    for split in ("train", "test"):
        data = json.loads((FEATURES / f"{split}.json").read_text())
        y_pred = predict(model, data["X"], args.threshold)
        results[split] = scores(data["y"], y_pred)
        if split == "test":
            PREDICTIONS.parent.mkdir(parents=True, exist_ok=True)
            with PREDICTIONS.open("w", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(["actual", "predicted"])
                writer.writerows(zip(data["y"], y_pred))

    test = results["test"]
    metrics = {k: round(test[k], 4) for k in ("accuracy", "precision", "recall", "f1")}
    metrics["test"] = {"n_samples": sum(test["confusion"].values()),
                       "confusion": test["confusion"]}
    metrics["train"] = {k: round(results["train"][k], 4) for k in ("accuracy", "f1")}
    METRICS.write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
