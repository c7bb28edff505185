"""voicesim: an offline call-centre training simulator.

Importing the package loads no model, no audio device and no torch: the core is pure
(see README "Architecture").
"""

__version__ = "0.1.0"
