"""Who is this: opt-in re-identification and a consented gallery of known people (docs/identity.md).

chip (the aligned face), embedder (dlib's ResNet), gallery (SQLite), reid (person ids across
tracks), identifier (what FaceAnalyzer runs). Importing this package imports no dlib: only
FaceEmbedder() does."""
