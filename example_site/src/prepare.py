"""Stage 1: shuffle the raw reviews and split them into train/test CSVs."""
import argparse
import csv
import random
from pathlib import Path

RAW = Path("data/raw/reviews.csv")
OUT_DIR = Path("data/prepared")


def write_rows(path, header, rows):
    """Write rows (with header) to a CSV file."""
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main():
    """Split the raw CSV into train/test files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", type=float, default=0.2, help="test fraction")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    with RAW.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)

    random.Random(args.seed).shuffle(rows)
    n_test = round(len(rows) * args.split)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    write_rows(OUT_DIR / "train.csv", header, rows[n_test:])
    write_rows(OUT_DIR / "test.csv", header, rows[:n_test])
    print(f"train={len(rows) - n_test} test={n_test}")


if __name__ == "__main__":
    main()
