export {
  buildSyntheticCapture, standardScenario, tonePayloads,
  type CallScript, type PartyScript, type Codec, type SentRtpPacket, type ExpectedCall, type SyntheticCapture,
} from './synthetic-calls';
