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
# neggrad_plus: alpha = 0.9 (Kurmanji et al.'s choice, 0.9-0.99). With the forget term
# weighted 0.1 against the retained ones, 20 steps of the same eta take q_l to -0.78 (ReLU)
# and 0.26 (linear), the retrained order, while min_R q rises to 1.8-1.9.
NEGGRAD_K, NEGGRAD_ALPHA = 20, 0.9
# finetune / random_label: 50 steps (10% of the default training) of the training optimizer.
FINETUNE_K = 50
NEWTON_DAMPING = 0.0     # newton: gamma (0: the pseudo-inverse of H_R)
DEFAULT_SHADOWS = 16     # K shadow pairs of the membership audit (core/mia.py)
