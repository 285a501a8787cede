"""Training in the desktop app: the Training dock, its workers, plots, results and inspection.

- ``dock.add_training_dock(window)``: the dock and the Train menu of the main window;
- ``panel.TrainingPanel``: settings, Start/Stop, progress; ``form.TrainForm``: the settings;
- ``worker``: ``Job`` (a QThread running one worker), ``TrainWorker`` (the engine),
  ``CallWorker`` (inspection), ``prepared_data`` (the last dataset, kept for reuse);
- ``plots.LivePlots``: live loss/accuracy; ``results.ResultsView``: test metrics and the
  confusion matrix; ``inspect_view.InspectView`` + ``inspection.RunInspector``: feature maps,
  filters and misclassified images.

Nothing here imports torch at import time: the workers import it in their threads.
"""

from cnnstudio.gui.training.dock import add_training_dock
from cnnstudio.gui.training.panel import TrainingPanel

__all__ = ["TrainingPanel", "add_training_dock"]
