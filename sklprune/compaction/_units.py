"""Units: what the walk knows about the unit axis of one tensor of the graph."""


class Units:
    """What the walk knows of a tensor's unit axis.

    The unit axis is the last dimension after a ``Linear`` and the channels after a
    ``Conv``. Every position of it is the output of one unit of a layer (or, with
    ``prune_inputs``, one input feature), which the :class:`~._plan.Plan` numbers.

    Parameters
    ----------
    ids : torch.Tensor of int or None
        The unit behind every position. ``None``: the positions are fixed (never
        removed), of ``width`` positions or an unknown number.
    const : torch.Tensor or None, default=None
        The constant each position holds where ``known`` is true.
    known : torch.Tensor of bool or None, default=None
        Whether each position holds a constant (a dead unit's bias through the
        layers in between).
    axis : {"last", "channel"}, default="last"
        ``"channel"``: dimension 1, with ``spatial`` dimensions after it (``None``
        when not known). ``"last"``: the last of ``ndim`` dimensions. A channel axis
        with no spatial dimension is the last axis of a 2-D tensor.
    spatial : int or None, default=None
        Number of spatial dimensions after a channel axis.
    ndim : int or None, default=None
        Number of dimensions of a tensor whose unit axis is the last (``None``:
        not known).
    width : int or None, default=None
        Number of positions when ``ids`` is ``None`` (``None``: not known).
    block : {"repeat", "tile"} or None, default=None
        Set after a flatten whose block size is not known yet: the positions are
        then each of ``ids`` repeated, or all of them tiled, that many times (see
        :meth:`~._walk._Walk.resolve`).
    inputs : bool, default=False
        The positions are the input features that ``prune_inputs`` may remove.
    from_input : bool, default=False
        The tensor is the module's input, unchanged so far.
    source : str, default=""
        The layer that computed the tensor, for error messages.

    Attributes
    ----------
    width : int or None
        Number of positions: ``len(ids)``, or the ``width`` given when ``ids`` is
        ``None``.
    """

    def __init__(
        self,
        ids,
        const=None,
        known=None,
        *,
        axis="last",
        spatial=None,
        ndim=None,
        width=None,
        block=None,
        inputs=False,
        from_input=False,
        source="",
    ):
        self.ids = ids
        self.const = const
        self.known = known
        self.axis = axis
        self.spatial = spatial
        self.ndim = ndim
        self.width = len(ids) if ids is not None else width
        self.block = block
        self.inputs = inputs
        self.from_input = from_input
        self.source = source
        if axis == "channel" and spatial == 0:
            self.axis, self.spatial, self.ndim = "last", None, 2

    @property
    def fixed(self):
        """Whether no position carries a unit that may be removed (``ids`` is None)."""
        return self.ids is None

    def like(self, **changes):
        """A copy with the attributes named in ``changes`` replaced.

        Parameters
        ----------
        **changes
            New values by parameter name (``ids``, ``const``, ``axis``...). A
            new ``ids`` sets the width to its length.

        Returns
        -------
        units : Units
        """
        fields = dict(
            const=self.const,
            known=self.known,
            axis=self.axis,
            spatial=self.spatial,
            ndim=self.ndim,
            width=self.width,
            block=self.block,
            inputs=self.inputs,
            from_input=self.from_input,
            source=self.source,
        )
        fields.update(changes)
        return Units(
            changes.get("ids", self.ids),
            **{k: v for k, v in fields.items() if k != "ids"},
        )

    def as_fixed(self, width):
        """The same axis with ``width`` fixed positions: no ids, no constants.

        The walk returns it for the output of an operation whose input units it has
        marked as never removed (:meth:`~._plan.Plan.keep_all`): nothing behind
        these positions is followed further.

        Parameters
        ----------
        width : int or None
            Number of positions (``None``: not known).

        Returns
        -------
        units : Units
        """
        return Units(
            None,
            axis=self.axis,
            spatial=self.spatial,
            ndim=self.ndim,
            width=width,
            source=self.source,
        )

    def is_unit_dim(self, dim):
        """Whether dimension ``dim`` of the tensor is its unit axis.

        Parameters
        ----------
        dim : int
            A dimension, negative ones counted from the last.

        Returns
        -------
        is_unit_dim : bool or None
            ``None`` when the number of dimensions is not known.
        """
        if self.axis == "channel":
            if dim == 1:
                return True
            if self.spatial is None:
                return False if dim >= 0 else None
            return dim == -(self.spatial + 1)
        if dim == -1:
            return True
        if self.ndim is None:
            return None if dim > 0 else False
        return dim == self.ndim - 1

    def constants_as_batch(self):
        """The constants as a batch of two samples with spatial size one.

        A layer or function applied to it gives the constants of its output.

        Returns
        -------
        batch : torch.Tensor of shape (2, width) or (2, width, 1, ...)
        """
        spatial = (self.spatial or 0) if self.axis == "channel" else 0
        return self.const.reshape(1, -1, *[1] * spatial).repeat(2, *[1] * (spatial + 1))
