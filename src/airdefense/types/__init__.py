"""The ground floor: data types every stage may import, and nothing else.

- :mod:`.columns`: the structure-of-arrays base of plots, measurements, tracks and events.
- :mod:`.settings`: the typed parameters of the stages (tracker settings, rules of
  engagement, doctrine), with units, defaults and bounds.
- :mod:`.theatre`: a scenario resolved once into sites, assets, raids and batteries in the
  ENU frame, SI units, each object's side.
- :mod:`.events`: the event vocabulary, one record type per kind, and the log.
"""
