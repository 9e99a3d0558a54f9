// Rows for the decoder-side layers (GRU cell, attention, loss, decoder), added when they exist.

import NMTModel
import NMTTensor

func decoderSideRows(reps: Int) -> [Row] { [] }
