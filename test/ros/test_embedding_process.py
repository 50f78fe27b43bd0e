"""The nodes' face embeddings in a child process: the same numbers as dlib in this process, the
GIL free while the child computes (another thread keeps running), and a child that died replaced
at the next request."""

import threading
import time

import cv2
import numpy as np
from paths import DATA, require_data

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.identity.embedder import FaceEmbedder
from face_analysis.ros.runtime.embedding_process import ProcessEmbedder

PHOTO = DATA / "lfw" / "images" / "Aaron_Peirsol" / "Aaron_Peirsol_0001.jpg"


def test_child_process_embeds_as_dlib_does_without_holding_the_gil():
    image = cv2.imread(str(require_data(PHOTO)))
    (face,) = FaceAnalyzer().detect(image)
    embedder = ProcessEmbedder()
    try:
        stop, gaps = threading.Event(), []

        def ticker():
            last = time.perf_counter()
            while not stop.is_set():
                time.sleep(0.001)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        thread = threading.Thread(target=ticker)
        thread.start()
        vectors = embedder.embed_many(image, [face, face, face])
        stop.set()
        thread.join()
        # dlib in this thread would stall the ticker for the whole call (~76 ms per face).
        assert max(gaps) < 0.05, max(gaps)
        np.testing.assert_allclose(vectors[0], FaceEmbedder().embed(image, face), atol=1e-5)

        first = embedder._process
        first.kill()
        first.wait()
        np.testing.assert_allclose(embedder.embed(image, face), vectors[0], atol=1e-5)
        assert embedder._process is not first
    finally:
        embedder.close()
