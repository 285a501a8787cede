"""Torch-side helpers for the presets: torchvision key mapping and transfer learning."""
