"""Models that prepare their rows before the library sees them (category text, fitted medians)."""

from __future__ import annotations


class FramedPredictions:
    """``predict`` / ``predict_proba`` of the fitted ``model_`` on the rows as the subclass's ``_frame`` prepares them."""

    def predict(self, X):
        return self.model_.predict(self._frame(X))

    def predict_proba(self, X):
        return self.model_.predict_proba(self._frame(X))
