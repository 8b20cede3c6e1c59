import CSACZeroMQ

/// A CURVE key pair (Curve25519) as ZeroMQ uses it for encryption and authentication, both keys in Z85
/// text (40 characters). Generate one per server and one per client; share only public keys.
public struct CurveKeyPair: Equatable, Sendable {
    /// The public key, Z85 (40 characters): give it to peers.
    public let publicKey: String
    /// The secret key, Z85 (40 characters): keep it private.
    public let secretKey: String

    /// A fresh random key pair.
    public static func generate() throws(ZeroMQError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41), secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw .last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: Self.string(publicKey), secretKey: Self.string(secretKey))
    }

    /// The pair of `secretKey` (Z85), its public key derived.
    public init(secretKey: String) throws(ZeroMQError) {
        guard Self.isValidKey(secretKey) else {
            throw .call(
                "CurveKeyPair(secretKey:)", errno: 0, message: "a CURVE key is 40 Z85 characters, got \(secretKey.count) characters")
        }
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { throw .last("zmq_curve_public") }
        self.publicKey = Self.string(publicKey)
        self.secretKey = secretKey
    }

    private init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Whether `key` is 40 characters of the Z85 alphabet.
    public static func isValidKey(_ key: String) -> Bool {
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
        return key.count == 40 && key.allSatisfy { alphabet.contains($0) }
    }

    /// The Z85 text of a 32-byte binary key (as ZAP requests carry it).
    public static func z85(_ binary: [UInt8]) -> String? {
        guard binary.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: 41)
        guard binary.withUnsafeBufferPointer({ zmq_z85_encode(&text, $0.baseAddress, 32) }) != nil else { return nil }
        return string(text)
    }

    private static func string(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
