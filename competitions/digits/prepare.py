"""`make data comp=digits`: scikit-learn's 1,797 real handwritten digits (8 x 8, UCI) in the layout of Kaggle's
digit-recognizer: train.csv label,pixel0..63; test.csv pixels only; sample_submission.csv ImageId (1-based),Label."""

from pathlib import Path


def prepare(dest: Path) -> Path:
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_digits

    from kagglekit.core.split import write_kaggle_split

    digits = load_digits()
    pixels = np.clip(digits.data * 16, 0, 255).astype(int)  # 0..16 -> 0..255 gray levels, as Kaggle's MNIST files
    frame = pd.DataFrame(pixels, columns=[f"pixel{i}" for i in range(64)])
    frame.insert(0, "label", digits.target)
    return write_kaggle_split(frame, "label", dest, {"Label": 0}, submission_id="ImageId",
                              readme="scikit-learn digits in digit-recognizer's layout; scored by accuracy.\n")
