"""The live training curve: train and validation loss per epoch, validation macro-F1 on a twin axis."""
from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reviewer_app.gui.theme import BACKGROUND

TRAIN_COLOR, VAL_COLOR, F1_COLOR = "#1f5fa8", "#d62728", "#2e8540"


class LossCurve(FigureCanvasQTAgg):
    def __init__(self, parent=None) -> None:
        self.figure = Figure(figsize=(7, 2.8), dpi=100, facecolor=BACKGROUND, layout="constrained")
        super().__init__(self.figure)
        self.setParent(parent)
        self.setMinimumHeight(220)
        self.ax = self.figure.add_subplot(111)
        self.f1_ax = self.ax.twinx()
        self.epochs: list[int] = []
        self.train: list[float] = []
        self.val: list[float] = []
        self.f1: list[float] = []
        self.best: int | None = None
        self.total_epochs = 10
        self._draw()

    def clear(self, planned_epochs: int = 10) -> None:
        self.epochs, self.train, self.val, self.f1 = [], [], [], []
        self.best, self.total_epochs = None, planned_epochs
        self._draw()

    def add_epoch(self, event: dict) -> None:
        """One 'epoch' event of the training worker."""
        self.epochs.append(int(event["epoch"]))
        self.train.append(float(event["train_loss"]))
        self.val.append(float(event["val_loss"]))
        self.f1.append(float(event["val_macro_f1"]))
        self.total_epochs = int(event.get("epochs") or self.total_epochs)
        if event.get("best"):
            self.best = int(event["epoch"])
        self._draw()

    def _draw(self) -> None:
        ax, f1 = self.ax, self.f1_ax
        ax.clear()
        f1.clear()
        ax.set_facecolor("white")
        ax.plot(self.epochs, self.train, marker="o", markersize=4, color=TRAIN_COLOR, label="train loss")
        ax.plot(self.epochs, self.val, marker="s", markersize=4, color=VAL_COLOR, label="validation loss")
        f1.plot(self.epochs, self.f1, marker="^", markersize=4, linestyle="--", color=F1_COLOR,
                label="validation macro-F1")
        if self.best is not None:
            ax.axvline(self.best, color="#999999", linewidth=0.8, linestyle=":")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        f1.yaxis.tick_right()  # clear() puts a twin's axis back on the left
        f1.yaxis.set_label_position("right")
        f1.set_ylabel("validation macro-F1", color=F1_COLOR)
        f1.tick_params(axis="y", colors=F1_COLOR)
        f1.set_ylim(0, 1.02)
        ax.set_xlim(0.5, max(self.total_epochs, len(self.epochs), 1) + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        top = max(self.train + self.val, default=1.0)
        ax.set_ylim(0, top * 1.1 if top > 0 else 1.0)
        ax.grid(color="#e5e5e5", linewidth=0.6)
        lines = ax.get_lines()[:2] + f1.get_lines()[:1]
        if self.epochs:
            ax.legend(lines, [line.get_label() for line in lines], loc="upper right", fontsize=8, ncols=3)
        else:
            ax.text(0.5, 0.5, "the curve appears after the first epoch", transform=ax.transAxes,
                    ha="center", va="center", color="#777777")
        self.draw_idle()
