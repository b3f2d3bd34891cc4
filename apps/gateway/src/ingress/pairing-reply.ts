/** What an unknown sender reads when the channel's dmPolicy is "pairing": the code and the owner's command. */
export function pairingReplyText(channel: string, code: string): string {
  return `This bot needs the owner's approval first. Your pairing code: ${code}\nAsk the owner to run: claw pairing approve ${channel} ${code}`;
}
