/// A UTC calendar time from Unix epoch seconds, without Foundation (Howard Hinnant's civil-from-days).
public struct CivilTime: Sendable, Equatable {
    public var year, month, day, hour, minute, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    public init(epochSeconds t: Int64) {
        let days = Int(t >= 0 ? t / 86_400 : (t - 86_399) / 86_400)
        let secs = Int(t - Int64(days) * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d, hour: secs / 3600, minute: secs / 60 % 60, second: secs % 60)
    }

    /// Seconds since the Unix epoch (days-from-civil, the inverse of `init(epochSeconds:)`).
    public var epochSeconds: Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era * 146_097 + doe - 719_468)
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Parses an instant given as milliseconds since the epoch or as UTC `YYYY-MM-DDTHH:MM:SS[.fff]Z` (a date alone
    /// means midnight); returns milliseconds since the epoch, or nil.
    public static func parseMillis(_ text: String) -> Int64? {
        if let ms = Int64(text) { return ms }
        let b = Array(text.utf8)
        func num(_ from: Int, _ n: Int) -> Int? {
            guard from + n <= b.count else { return nil }
            var v = 0
            for c in b[from..<from + n] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let y = num(0, 4), b.count >= 10, b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var t = CivilTime(year: y, month: mo, day: d, hour: 0, minute: 0, second: 0)
        var millis = 0
        if b.count > 10 {
            guard b[10] == 84 || b[10] == 32, let h = num(11, 2), b.count > 13, b[13] == 58, let mi = num(14, 2),
                  b.count > 16, b[16] == 58, let s = num(17, 2), h < 24, mi < 60, s < 61 else { return nil }
            (t.hour, t.minute, t.second) = (h, mi, s)
            var i = 19
            if i < b.count, b[i] == 46 {
                i += 1
                var digits = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if digits < 3 { millis = millis * 10 + Int(b[i] - 48) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
                if digits < 3 { for _ in digits..<3 { millis *= 10 } }
            }
            guard i == b.count - 1, b[i] == 90 else { return nil }
        }
        return t.epochSeconds * 1000 + Int64(millis)
    }

    /// Zero-padded decimal.
    public static func pad(_ v: Int, _ n: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, n - s.count)) + s
    }
}
