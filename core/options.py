"""The named choices and defaults of a scenario and of the built-in methods, in a module
that loads no kernels.

``core.scenario`` (and through it the URL and scenario-file parsing of ``present.share``)
needs these names to validate a value; importing them from ``core.models``, ``core.train``
or ``core.kkt`` would load Numba for a string check. Those modules take them from here.
"""
MODELS = ("linear", "relu")
LOSSES = ("exp", "logistic")
OPTIMIZERS = ("normalized", "plain")
DEFAULT_KINK_TOL = 0.03    # kappa: the one default of the kink band (docs/theory.md §3.5)

# ---- default hyperparameters of the built-in methods (docs/theory.md §3.7) ----
# ga_steps / neggrad_plus: eta = None picks eta = ETA_GAIN / ||grad q_F||² (mean over F at
# theta^), so that one step moves q_l by about ETA_GAIN |l'(q_l)| whatever the model
# (||grad q_l||² = sum_j v_j² sigma'_jl ||x_l||²: 0.24 for the default ReLU demo's forgotten
# point, 0.99 linear). From q_l = 1, with |l'| = e^{-q} growing as q_l falls, 10 plain GA
# steps take q_l to -0.22 (ReLU; retrain -0.26) and -0.84 (linear; retrain -0.44) on the
# default demos. The ascent is unstable (exp loss): four times that step diverges on the
# linear demo within 10 steps.
ETA_GAIN = 0.25
GA_STEPS_K = 10
# neggrad_plus: alpha * mean_R l - (1 - alpha) * mean_F l, as Kurmanji et al. weight the
# mean losses (alpha = 0.9, their 0.9-0.99). The forget term then carries (1 - alpha) / |F|
# = 0.1 a point instead of the 1 of ga_steps, so its step is NEGGRAD_ETA_GAIN = 3 times
# ga_steps' (eta = 0.75 / ||grad q_F||²): 10 steps take q_l from 1 to -0.30 on the default
# ReLU demo (retrain -0.26; seeds 1, 2: 0.23 and -0.08 against -0.12 and -0.16) and to
# 0.65 on the linear demo (retrain -0.44), min_R q rising to 1.03-1.06. Twice the steps
# diverge on the ReLU demo (the ascent on the exponential loss is unstable).
NEGGRAD_K, NEGGRAD_ALPHA, NEGGRAD_ETA_GAIN = 10, 0.9, 0.75
# finetune / random_label: 50 steps (10% of the default training) of the training optimizer.
FINETUNE_K = 50
# newton: gamma = None takes Guo et al.'s (2020) setting, the Newton step of the L2-
# regularized objective the model minimizes: gamma* = sum_i |l'(q_i)| q_i / ||theta^||²
# is the L2 weight at which theta^ is stationary for sum_i l(q_i) + gamma/2 ||theta||²
# (0.14 on the default ReLU demo). gamma = 0 is the pseudo-inverse of H_R, which when
# d >> n acts on 4-9% of grad q_l and leaves the model where it was (docs/theory.md §3.7).
NEWTON_DAMPING = None
DEFAULT_SHADOWS = 16     # K shadow pairs of the membership audit (core/mia.py)
# ---- the evidence of forgetting (docs/theory.md §3.9) ----
DEFAULT_FLOOR = 8        # K retrainings from other seeds (core/floor.py): milliseconds each
DEFAULT_ULIRA = 16       # K shadow and K target pairs of U-LiRA (core/ulira.py)
MAX_FLOOR, MAX_ULIRA = 256, 128
RELEARN_CAP = 1000       # relearning: GD steps counted at most (core/relearn.py)
