"""The network engine: MLP, backpropagation, optimisers and the training loop."""

from probnn.network.activations import ACTIVATIONS, Activation, get_activation
from probnn.network.mlp import MLP
from probnn.network.training import Trainer

__all__ = ["ACTIVATIONS", "Activation", "MLP", "Trainer", "get_activation"]
