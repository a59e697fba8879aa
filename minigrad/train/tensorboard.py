"""`TensorBoard`: a `fit` callback writing each epoch's logs to TensorBoard event files."""
from .callbacks import Callback


def _tag(key):
    # train_loss -> loss/train and val_loss -> loss/val: train and validation curves of
    # one quantity share a chart in TensorBoard
    for prefix in ("train_", "val_"):
        if key.startswith(prefix):
            return f"{key[len(prefix):]}/{prefix[:-1]}"
    if key == "lr" or key.startswith("lr_"):
        return f"lr/group{key[3:] or 0}"
    return f"epoch/{key}"


class TensorBoard(Callback):
    """Write per-epoch losses, metrics and learning rates to `log_dir` (tensorboardX).

    ::

        mg.train.fit(model, loss_fn, opt, loader, epochs=10, val_loader=val,
                     callbacks=[mg.train.TensorBoard("runs/mlp")])
        # then: tensorboard --logdir runs

    Tags (x axis: the epoch, 1-based): ``loss/train``, ``loss/val``, ``<metric>/train``,
    ``<metric>/val``, ``lr/group0`` (``lr/group1``... for more parameter groups) and
    ``epoch/time`` (seconds). With ``batch_loss=True`` also ``loss/batch`` against the
    global batch index (one host sync per batch). With ``histograms=True`` the weights and
    the last batch's gradients, ``weights/<param>`` and ``gradients/<param>``, every epoch.
    """

    def __init__(self, log_dir, histograms=False, batch_loss=False):
        self.log_dir = str(log_dir)
        self.histograms = histograms
        self.batch_loss = batch_loss
        self.writer = None
        self._batches = 0

    def on_train_begin(self, logs=None):
        from ..viz.tensorboard import open_writer

        self.writer = open_writer(self.log_dir)
        self._batches = 0

    def on_batch_end(self, batch, logs=None):
        if self.batch_loss and logs and "loss" in logs:
            self.writer.add_scalar("loss/batch", float(logs["loss"].item()), self._batches)
        self._batches += 1

    def on_epoch_end(self, epoch, logs=None):
        step = (logs or {}).get("epoch", epoch + 1)
        for key, value in (logs or {}).items():
            if key != "epoch" and isinstance(value, (int, float)):
                self.writer.add_scalar(_tag(key), float(value), step)
        if self.histograms and self.model is not None:
            from ..viz.tensorboard import write_parameters

            write_parameters(self.writer, self.model, step)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def __repr__(self):
        return f"TensorBoard(log_dir={self.log_dir!r}, histograms={self.histograms}, batch_loss={self.batch_loss})"
