"""The connectivity kinds: one description each, read by every part of the workflow.

The config's schema lists the same names (``tests/test_kinds.py`` checks it);
the rules name files by :attr:`Kind.label`, the sidecars say
:attr:`Kind.measure`, the figures and the methods text read the rest. A new
kind is one entry here, its computation in
:func:`regions_connectome.connectivity.subject_connectivity` (or, fitted on
the group, :func:`regions_connectome.connectivity.tangent_matrices`) and its
name in the schema's ``connectivity_kinds``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One of nilearn's ``ConnectivityMeasure`` kinds.

    Parameters
    ----------
    name : str
        nilearn's name (``"partial correlation"``).
    measure : str
        What BEP017's ``Measure`` key says of it.
    bounded : bool
        Whether its values lie in [-1, 1] (the figures' colour range).
    fitted_on_group : bool
        Whether it is fitted on the whole group (tangent) rather than on each
        subject alone.
    """

    name: str
    measure: str
    bounded: bool = False
    fitted_on_group: bool = False

    @property
    def label(self):
        """Its name in file names (BIDS ``meas-`` entity): no spaces."""
        return self.name.replace(" ", "")


CONNECTIVITY_KINDS = {
    kind.name: kind
    for kind in (
        Kind("correlation", "Pearson correlation", bounded=True),
        Kind("partial correlation", "partial correlation", bounded=True),
        Kind("covariance", "covariance"),
        Kind("precision", "precision (inverse covariance)"),
        Kind("tangent", "tangent-space projection of the covariance", fitted_on_group=True),
    )
}
