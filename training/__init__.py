"""Training, evaluation and export of the face_analysis emotion and gender classifiers.

Reproduces Arriaga, Ploeger & Valdenegro (2017), "Real-time Convolutional Neural Networks for
Emotion and Gender Classification" (mini-Xception) in PyTorch. See training/README.md.
"""
