import NMTTensor
