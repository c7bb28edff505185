"""The demo call that setup ends with: the same caller, a trainee who listens and one who argues."""

DEMO_PERSONA = "valentine-gift"
# Saved under these trainee names, so the web app shows one listener and one arguer.
DEMO_TRAINEES = ("demo-listener", "demo-arguer")
DEMO_REPLIES: dict[str, list[str]] = {
    "a trainee who listens": [
        "Oh no, I'm so sorry your gift hasn't arrived. That sounds really stressful. "
        "What happened?",
        "So you ordered it in good time and it was promised before Valentine's Day, and it "
        "still hasn't come. I completely understand why you're upset.",
        "Can you tell me what the tracking page says at the moment?",
        "Here is what I'll do: I'm sending a replacement by express courier today, you'll have "
        "it by tomorrow at noon, and I'll email you the tracking number within the hour.",
    ],
    "a trainee who argues and blames": [
        "Calm down. As I said, deliveries are handled by the courier, not my department.",
        "That's impossible, our system shows it was dispatched on time.",
        "Look, I didn't make the rules. Maybe someone will call you.",
        "Like I already explained, there's nothing I can do.",
    ],
}
