#!/usr/bin/env python3
"""llama.cpp (CPU, via llama-cpp-python) on the same model and prompt as `flan-infer --bench`,
so `./x bench` can report our engine's speed as a ratio against llama.cpp in the same run.

Usage: llama_cpp_bench.py MODEL PROMPT_TEXT N_DECODE [--threads 2]
Prints one JSON line: {"engine": "llama.cpp", "threads", "prefill_tokens", "prefill_tok_s",
"decode_tokens", "decode_tok_s", "load_s"}. Greedy decoding, like flan-infer without --temp.
"""
import argparse
import json
import time

import numpy as np
from llama_cpp import Llama


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("prompt")
    ap.add_argument("n_decode", type=int)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    llm = Llama(
        model_path=args.model,
        n_ctx=2048,
        n_batch=512,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        verbose=False,
    )
    load_s = time.perf_counter() - t0
    # The same ids flan-infer feeds: the raw text, no BOS, no special-token parsing.
    ids = llm.tokenize(args.prompt.encode(), add_bos=False, special=False)
    # One untimed warm-up pass, as flan-infer's shaders are compiled at load.
    llm.reset()
    llm.eval(ids[:8])
    llm.reset()
    t1 = time.perf_counter()
    llm.eval(ids)
    prefill_s = time.perf_counter() - t1
    token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    t2 = time.perf_counter()
    for _ in range(args.n_decode - 1):
        llm.eval([token])
        token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    decode_s = time.perf_counter() - t2
    print(json.dumps({
        "engine": "llama.cpp",
        "threads": args.threads,
        "load_s": load_s,
        "prefill_tokens": len(ids),
        "prefill_tok_s": len(ids) / prefill_s,
        "decode_tokens": args.n_decode - 1,
        "decode_tok_s": (args.n_decode - 1) / decode_s,
    }))


if __name__ == "__main__":
    main()
