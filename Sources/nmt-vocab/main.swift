import NMTText
print(icuVersion())
