// `import NMTInference` is all a user of the library needs to load a model and translate or
// fill: the model store (ModelDirectory, LoadedModel) and the model types come with it.

@_exported import NMTModel
@_exported import NMTStore
