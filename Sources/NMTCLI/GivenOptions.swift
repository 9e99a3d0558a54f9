// Which options a command line gives, by long name: ArgumentParser fills defaults in, so a
// resumed run (which must tell "--dropout 0.3 given" from "the default 0.3") looks at the
// arguments themselves.

public enum GivenOptions {
    /// The long names (without dashes) of the options in `arguments` (the process's, without the
    /// program name, by default): "--name" and "--name=value" give "name"; `aliases` maps other
    /// spellings to a name ("-o" → "output", "no-tie-embeddings" → "tie-embeddings"). A value
    /// such as "-1" (no letter after the dash) is not taken for an option; everything after "--"
    /// is a value.
    public static func names(in arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                             aliases: [String: String] = [:]) -> Set<String> {
        var out = Set<String>()
        for arg in arguments {
            if arg == "--" { break }
            var name: String
            if arg.hasPrefix("--") {
                name = String(arg.dropFirst(2).prefix { $0 != "=" })
            } else if arg.hasPrefix("-"), arg.count >= 2, let c = arg.dropFirst().first, c.isLetter {
                name = arg
            } else {
                continue
            }
            name = aliases[name] ?? name
            out.insert(name)
        }
        return out
    }
}
