#include "idleexit.h"

namespace Hamlet {

IdleExit::IdleExit(std::chrono::milliseconds after, std::function<Busy()> busy, QObject *parent)
    : QObject(parent)
    , m_busy(std::move(busy))
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(after);
    connect(&m_timer, &QTimer::timeout, this, &IdleExit::onTimeout);
}

void IdleExit::poke()
{
    if (m_busy() == Busy::UntilAChange)
        m_timer.stop();
    else
        m_timer.start();
}

void IdleExit::onTimeout()
{
    switch (m_busy()) {
    case Busy::No:
        Q_EMIT idle();
        break;
    case Busy::ForAWhile:
        m_timer.start();
        break;
    case Busy::UntilAChange:
        break;
    }
}

} // namespace Hamlet
