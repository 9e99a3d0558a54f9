import CICU
import Foundation
public func icuVersion() -> String { String(cString: nmt_icu_version()) }
