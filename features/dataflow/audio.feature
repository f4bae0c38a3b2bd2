@dataflow
Feature: Streaming audio
  Audio goes in binary frames as raw samples in the Start.Audio format (no WAV header), stereo interleaved, every
  chunk a whole number of sample frames, in small chunks of about 20-200 ms (dataflow.md §2.6, BIN).

  Background:
    Given the Data Flow project "call-analytics"

  Scenario Outline: <encoding> at <rate> Hz mono
    Given the audio "question" as <encoding> at <rate> Hz mono
    When the client runs the task "stream-audio"
    Then Start.Audio describes the audio file
    And the audio received is exactly the file's samples

    @DFW-004 @DFW-007 @DFW-009 @DFW-010
    Examples: PCM16
      | encoding | rate  |
      | pcm      | 8000  |
      | pcm      | 16000 |

    @DFW-004 @DFW-007 @DFW-009 @DFW-010
    Examples: G.711
      | encoding | rate |
      | ulaw     | 8000 |

  Scenario Outline: <encoding> at <rate> Hz stereo
    Given the audio "question" as <encoding> at <rate> Hz stereo
    When the client runs the task "stream-audio"
    Then Start.Audio describes the audio file
    And the audio received is exactly the file's samples

    @DFW-004 @DFW-007 @DFW-008 @DFW-009 @DFW-010
    Examples:
      | encoding | rate  |
      | pcm      | 8000  |
      | alaw     | 8000  |
