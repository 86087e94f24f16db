"""Inference backends: the PyMC model builder and the exact Polya-Gamma Gibbs sampler.

Each backend is imported on first use so that ``import bayeslogit`` stays light.
"""
