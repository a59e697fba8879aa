"""`mg.nn`: modules, layers, activations, losses, initialisers and utilities.

Mirrors ``torch.nn``: ``Module``/``Parameter`` with PyTorch's state-dict key names,
``Sequential``/``ModuleList``, layers that are thin classes over ``mg.nn.functional``
(imported as ``F``), ``mg.nn.init`` and ``mg.nn.utils``.
"""
from . import functional, init, utils
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .containers import ModuleList, Sequential
from .layers import Dropout, Flatten, Identity, Linear
from .loss import (
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss,
)
from .module import Module, Parameter, RemovableHandle, register_module_forward_hook
from .normalization import BatchNorm1d, LayerNorm
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding

F = functional

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "RemovableHandle", "register_module_forward_hook",
    "Linear", "Identity", "Flatten", "Dropout", "BatchNorm1d", "LayerNorm",
    "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax", "LogSoftmax",
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss",
    "CrossEntropyLoss", "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "Embedding", "functional", "F", "init", "utils",
]
