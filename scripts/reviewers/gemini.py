#!/usr/bin/env python3
"""Pre-run reviewer through Gemini CLI (`gemini -p`). See docs/review.md."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from review_adapter import main  # noqa: E402

sys.exit(main(lambda text: ["gemini", "-p", text]))
