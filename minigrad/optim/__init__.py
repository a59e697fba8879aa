"""Optimizers and learning-rate schedulers, with PyTorch's names, defaults and numbers.

Each optimizer is a validated class (``Optimizer`` protocols: ``param_groups``, ``state``,
``step``, ``zero_grad``, ``state_dict``) over a short in-place update function on raw
arrays, e.g. ``adam.adam_update``; ``lr_scheduler`` holds the schedulers.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, Adamax, AdamW, NAdam, RAdam
from .asgd import ASGD
from .lbfgs import LBFGS
from .lion import Lion
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam", "RAdam",
           "Rprop", "ASGD", "LBFGS", "Lion", "lr_scheduler"]
