// nmt-serve --config FILE: a YAML mapping whose keys are the long flag names (as Marian and
// OpenNMT-py users write their configs). The file becomes command-line arguments placed before
// the real ones, so ArgumentParser checks every value and a flag given on the command line wins
// (a key whose flag is on the command line is left out). Unknown keys are errors naming the line
// (NMTCLI.ConfigFile; the keys are listed here, since the server's flags are few and stable).
import Foundation
import NMTCLI

public enum ServeConfigFile {
    /// The keys a file may hold: every option of nmt-serve but --config itself.
    public static let keys: [String] = ["model", "host", "port", "beam", "length-penalty", "mbr", "max-batch", "max-wait-ms",
                                        "queue", "max-body-bytes", "max-chars", "max-sentences", "rate-limit",
                                        "max-alternatives", "api-keys", "threads", "log-level", "log-format"]
    /// Keys that may repeat on the command line (a YAML list).
    static let lists: Set<String> = ["model"]

    /// `arguments` with the file named by `--config FILE` (or `--config=FILE`) expanded in front.
    public static func expand(_ arguments: [String]) throws -> [String] {
        guard let e = try ConfigFile.expansion(of: arguments, table: table, aliases: ["-m": "model"]) else { return arguments }
        return e.arguments + arguments
    }

    /// The arguments a YAML text stands for, leaving out the keys in `skipping`.
    public static func arguments(yaml text: String, path: String, skipping: Set<String> = []) throws -> [String] {
        try ConfigFile.expansion(yaml: text, path: path, table: table, skipping: skipping).arguments
    }

    static var table: OptionTable { OptionTable(options: Set(keys), repeatable: lists) }
}
