import SoftActorCritic

extension SACConfiguration {
    /// A small agent for training tests: `width`×`width` networks, batch `width`.
    package static func small(width: Int) -> SACConfiguration {
        var agent = SACConfiguration()
        agent.hiddenSizes = [width, width]
        agent.batchSize = width
        return agent
    }
}

extension TrainerConfiguration {
    /// A short run that evaluates `evaluationEpisodes` episodes at the end only.
    package static func short(steps: Int, learningStarts: Int, evaluationEpisodes: Int) -> TrainerConfiguration {
        var trainer = TrainerConfiguration()
        trainer.totalSteps = steps
        trainer.learningStarts = learningStarts
        trainer.evaluationInterval = 0
        trainer.evaluationEpisodes = evaluationEpisodes
        return trainer
    }
}
