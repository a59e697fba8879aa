"""``mg.train``: a fit loop with a progress bar, callbacks, early stopping, an LR finder, metrics.

    history = mg.train.fit(model, nn.CrossEntropyLoss(), opt, train_loader, epochs=20,
                           val_loader=val_loader, metrics=[mg.train.accuracy],
                           callbacks=[mg.train.EarlyStopping(patience=5)])
    history.plot("curves.png")
"""
from .callbacks import Callback, EarlyStopping
from .history import History
from .loop import default_interval, evaluate, fit, train_step
from .lr_finder import LRFinderResult, lr_find, suggest_lr
from .metrics import accuracy, mae, mse, top_k_accuracy
from .sweep import SweepResult, sweep
from .tensorboard import TensorBoard

__all__ = [
    "Callback", "EarlyStopping", "History", "LRFinderResult", "accuracy", "default_interval", "evaluate",
    "fit", "lr_find", "mae", "mse", "suggest_lr", "sweep", "SweepResult", "TensorBoard", "top_k_accuracy", "train_step",
]
