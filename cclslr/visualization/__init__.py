"""Figures: cclslr's registered visualizer and the drawing and plotting the tools share."""
from .embeddings import build_model, embed_split, split_loader_cfg
from .sign_visualizer import SignVisualizer, colourize, figure_to_array, skeleton_edges, tile

__all__ = ['SignVisualizer', 'build_model', 'colourize', 'embed_split', 'figure_to_array', 'skeleton_edges',
           'split_loader_cfg', 'tile']
