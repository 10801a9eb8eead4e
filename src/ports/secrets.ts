/** Encrypts small secrets for storage (webhook secrets, credentials); `open` throws on tampering. */
export interface SecretSealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}
