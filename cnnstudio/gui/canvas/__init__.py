"""The node-editor canvas: a QGraphicsScene that mirrors a Document's graph, and its view.

``scene.CanvasScene`` builds one ``NodeItem`` per node (with ``PortItem`` children), one
``EdgeItem`` per edge and one ``GroupItem`` per collapsed group, and follows graph events;
``view.CanvasView`` adds zoom, pan, drops from the palette and the Tab quick-add.
"""
