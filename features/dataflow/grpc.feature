@dataflow
Feature: The gRPC integration
  A gRPC client opens one bidirectional Stream call of service dataflow per session, over TLS with the server's
  certificate validated against its CA; the first StreamInput holds the Start JSON, later ones the audio; it reads the
  JSON text of StreamOutput, half-closes only after Finalize or Stop, and reads on until FinalResult and the call's
  status (dataflow.md §2.7, §3.3). The session itself follows the WebSocket rules: the streaming features judge a
  gRPC client on each DFW rule, and the DFG-001 scenarios here judge the main flows of those features on the gRPC
  stream at once. A client of another integration is not judged here.

  Background:
    Given the Data Flow project "call-analytics"
    And the audio "question" as pcm at 8000 Hz mono

  @DFG-002 @DFG-003 @DFG-004 @DFG-005 @DFG-006 @DFG-008
  Scenario: One Stream call over TLS: Start first, audio, Finalize, half-close, FinalResult and status
    When the client runs the task "stream-audio"
    Then the client streamed its session over gRPC as documented

  @DFG-002 @DFG-006
  Scenario: Stop, then half-close, then FinalResult and status
    When the client runs the task "stream-and-stop"
    Then the client streamed its session over gRPC as documented

  @DFG-002 @DFG-004
  Scenario: A stereo mu-law session over two consecutive calls
    Given the audio "question" as ulaw at 8000 Hz stereo
    And the task runs 2 sessions
    When the client runs the task "stream-audio"
    Then the client streamed its session over gRPC as documented

  @DFG-003
  Scenario: The server's certificate is not from the client's CA
    Given the gRPC server presents a certificate from another CA
    And the client is given 20 seconds
    When the client runs the task "stream-audio"
    Then the client refused the gRPC server's certificate

  @DFG-001
  Scenario: The streaming rules on the gRPC stream: Start, the audio, Finalize, FinalResult
    Given the audio "question" as ulaw at 8000 Hz stereo
    When the client runs the task "stream-audio"
    Then the client used the gRPC integration
    And the client opened the session as documented
    And Start.Audio describes the audio file
    And the audio received is exactly the file's samples
    And the client finalized after its last audio and read until FinalResult

  @DFG-001
  Scenario: The streaming rules on the gRPC stream: Stop, then FinalResult
    When the client runs the task "stream-and-stop"
    Then the client used the gRPC integration
    And the client stopped and read until FinalResult

  @DFG-001
  Scenario: The streaming rules on the gRPC stream: a Failed StartResponse
    Given the server answers the first Start with Failed
    When the client runs the task "stream-audio"
    Then the client used the gRPC integration
    And after the Failed StartResponse the client sent no audio and closed the connection

  @DFG-001
  Scenario: The streaming rules on the gRPC stream: Busy, then the running operation's FinalResult
    Given finishing takes 1500 ms
    And the server answers the first Finalize with Busy
    When the client runs the task "stream-audio"
    Then the client used the gRPC integration
    And after Busy the client waited for the running operation's FinalResult

  @DFG-001
  Scenario: The streaming rules on the gRPC stream: a client event and incidents
    Given the Data Flow project "incident-heavy"
    And the event text is "Please hold the line"
    When the client runs the task "send-event"
    Then the client used the gRPC integration
    And the client sent its event as documented
    And the client completed the session normally

  @DFG-001
  Scenario: The streaming rules on the gRPC stream: output audio in StreamOutput.audio
    Given the Data Flow project "tts-echo"
    And the client asks for output audio as ulaw
    And the event text is "Your order has shipped"
    When the client runs the task "send-event"
    Then the client used the gRPC integration
    And the client saved every TTS fragment it received
