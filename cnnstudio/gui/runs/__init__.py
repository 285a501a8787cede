"""The run history in the desktop app (Train > Runs..., issue #11).

- ``history_model``: ``RunsModel`` (one row per ``cnnstudio.runs.RunRecord``, the name cell
  editable) and ``RunsProxy`` (sorting by value, empty cells last; one design's runs);
- ``history.RunsView``: the dialog: listing in a worker, names and notes, the trash with
  Undo Delete, Open / Open Design / Compare... as signals;
- ``history_action.RunHistory``: the Train menu's action and the view's connections to the
  training dock and the main window.
"""
