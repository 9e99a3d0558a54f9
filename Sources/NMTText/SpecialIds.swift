// The special tokens every vocabulary starts with, and their ids: the one definition in the
// code base. Models, batchers and decoders take these (or a padding id passed down to a
// layer as a parameter); no other file spells a special id as a number.

/// <pad> <unk> <s> </s> <mask>: ids 0 ..< SpecialIds.count, in this order, in every vocabulary.
public enum SpecialIds {
    public static let pad: Int32 = 0
    public static let unk: Int32 = 1
    public static let bos: Int32 = 2
    public static let eos: Int32 = 3
    public static let mask: Int32 = 4
    /// How many special ids there are; the first ordinary token's id.
    public static let count = 5
    /// The special tokens' spellings, in id order.
    public static let tokens = ["<pad>", "<unk>", "<s>", "</s>", "<mask>"]

    /// True for the specials a detokenized text never shows: <pad>, <s>, </s>, <mask> (<unk> is
    /// kept, since it stands for a real word).
    @inlinable public static func isStructural(_ id: Int32) -> Bool {
        id >= 0 && id < Int32(count) && id != unk
    }
}
