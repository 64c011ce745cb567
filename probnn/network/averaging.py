"""The weights' moving average (Polyak averaging) that :class:`~probnn.network.training.Trainer`
keeps with ``ema_decay``.

The model is the average of the weights along the path, not the last step's: after each
optimiser step ``a <- d_k a + (1 - d_k) w`` with ``d_k = min(ema_decay, (1 + k) / (10 + k))``
at the k-th step of the fit (the warm-up keeps a short fit from being mostly its starting
weights). The average is what each epoch scores on the validation rows, what early stopping
keeps and what ``fit`` leaves in the network; the optimiser goes on from the raw weights.
Averaging out the minibatch noise of the last few hundred steps is nearly free and, on small
data, buys the larger learning rate a well-fitted mean needs without its noise (measured:
``bench/results/scenario5.md``).

:class:`WeightAverage` is a mixin of the Trainer: it reads ``network``, ``ema_decay`` and
``_optimizer`` (whose compiled kernels, when loaded, make the update one pass) and keeps the
average in ``_average`` (with its scratch ``_average_tmp`` and step count
``_average_steps``), which the compiled engine (:mod:`probnn.network._engine`) updates in
place too.
"""

from __future__ import annotations

import numpy as np

from probnn.network.optimizers import zero_subnormals

__all__ = ["WeightAverage"]

Array = np.ndarray


class WeightAverage:
    """The moving average of a Trainer's weights: started, updated each step, swapped in.

    :meth:`~probnn.network.training.Trainer.run` averages the weights through
    :meth:`start_average`, :meth:`swap_in_average` and :meth:`stop_average` (a caller driving
    ``partial_fit`` itself may too: ``bench/scenario8.py``).
    """

    ema_decay: float | None = None
    _average: Array | None = None
    # (raw weights, average, its step count, weights left in the network) after a run
    _left_averaging: tuple | None = None

    def start_average(self) -> bool:
        """Average the weights over the steps that follow (``ema_decay``, with its warm-up),
        from the current weights; False (and nothing) when ``ema_decay`` is None."""
        if self.ema_decay is None:
            return False
        self._average, self._average_steps = self.network.copy_params(), 0
        self._average_tmp = np.empty_like(self._average)
        return True

    def swap_in_average(self) -> Array:
        """Put the average into the network (to score or keep it); returns the optimiser's
        own weights, which ``network.set_params`` puts back before training goes on."""
        raw = self.network.copy_params()
        self.network.set_params(self._average)
        return raw

    def stop_average(self) -> None:
        """Stop averaging: later ``partial_fit`` calls step without it."""
        self._average = self._average_tmp = None

    def _resume_average(self) -> Array | None:
        """Start averaging for a run: on weights the last run left (a warm start) the path
        and its average go on as in one longer fit, and the optimiser's own weights are
        returned; otherwise a fresh average from the current weights, and None."""
        left = self._left_averaging
        if left is not None and np.array_equal(self.network.params, left[3]):
            raw, self._average, self._average_steps = left[0], left[1], left[2]
            self._average_tmp = np.empty_like(self._average)
            return raw
        self.start_average()
        return None

    def _leave_average(self, raw: Array) -> None:
        """At the end of a run: keep the optimiser's weights ``raw`` and the average beside
        the weights left in the network, for :meth:`_resume_average`."""
        self._left_averaging = (raw, self._average, self._average_steps,
                                self.network.copy_params())  # fmt: skip

    def _update_average(self, params: Array) -> None:
        """One step of the weights' moving average: ``a += (1 - d_k) (w - a)`` (ema_decay)."""
        k = self._average_steps
        self._average_steps = k + 1
        average, tmp = self._average, self._average_tmp
        c = tmp.dtype.type(1.0 - min(self.ema_decay, (1.0 + k) / (10.0 + k)))
        kernels = self._optimizer._kernels
        if kernels is not None:  # one compiled pass, the same arithmetic (test_network_fast.py)
            kernels["average"](average, params, c)
        else:
            np.subtract(params, average, out=tmp)
            tmp *= c
            average += tmp
        if (k + 1) % self._optimizer.FLUSH_EVERY == 0:
            # an average that follows a weight flushed to 0 decays into the subnormals and
            # stalls there (see Optimizer): zero it, as the optimiser does the weights
            zero_subnormals(average, tmp)
